"""The self-contained HTML report of a run and of its verification.

One file, no network: styles inline, plots embedded as SVG, thumbnails of cleaned files
as PNG data URIs, no script. Built from a jinja2 template (package data) and a plain data
dictionary (:mod:`medanon.report.data`), never from strings in code. Importing this
package is cheap; jinja2 and matplotlib load only when a report is written.
"""

from medanon.report.hook import HTML_NAME, report_after_run, write_verify_report

__all__ = ["HTML_NAME", "report_after_run", "write_verify_report"]
