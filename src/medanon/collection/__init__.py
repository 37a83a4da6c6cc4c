"""Collection-level privacy: k-anonymity and l-diversity with the patient as the unit.

Modules in the order data flows: :mod:`~medanon.collection.patients` (header → per-file
row → per-patient row, the rows pass 1 folds through :mod:`medanon.scan`),
:mod:`~medanon.collection.planner` (the privacy engine on the patient table → a
:class:`~medanon.dicom.plan.CollectionPlan`), :mod:`~medanon.collection.release` (the
release folder) and :mod:`~medanon.collection.run` (the two-pass run).
"""
