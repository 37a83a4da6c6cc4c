"""DICOM: read headers, transform one dataset (pure), write atomically."""
