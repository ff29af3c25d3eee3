"""What every layer uses: errors, the console, safe files, the project file, the global options, redaction."""
