from mcpauth_wizard.cli import main

main()
