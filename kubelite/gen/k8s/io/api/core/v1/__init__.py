"""Generated from proto/ by `make proto` (scripts/genproto.py). Do not edit."""
