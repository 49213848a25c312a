"""Build, parse (streaming) and validate ISO 20022 messages.

    build(batch, "pain.001.001.09")          -> bytes, XSD-checked
    parse(source)                            -> Parsed(family, message, document, findings)
    stream_report(source)                    -> iterate (statement, entry) in constant memory
    validate(source, profile="sepa")         -> ValidationReport(findings with XPaths and ISO codes)
"""

from gateway.iso20022.build import build
from gateway.iso20022.parse import Parsed, parse
from gateway.iso20022.stream import ReportStream, read_report, stream_report
from gateway.iso20022.validate import ValidationReport, validate

__all__ = ["Parsed", "ReportStream", "ValidationReport", "build", "parse", "read_report", "stream_report", "validate"]
