"""Pixel steps: blank burned-in text found by region rules or OCR, clean graphics.

One module per step (``regions``, ``blank``, ``codec``, ``render``, ``graphics``) and per
OCR backend (``ocr_rapid``, ``ocr_tesseract``), each backend shaped like a pydicom pixel
decoder plugin: ``DEPENDENCIES``, ``is_available()`` and one work function. ``step`` ties
them together for the per-instance core (:mod:`medanon.dicom.pixel_steps`).
"""
