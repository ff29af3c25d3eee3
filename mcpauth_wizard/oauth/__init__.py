"""OAuth knowledge, one module per rule set, used by the doctor, the wizard and the sandbox."""
