"""What this part of the pipeline app adds to the shared surfaces (imported from ``PipelineConfig.ready``, no I/O)."""
