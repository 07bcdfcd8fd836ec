"""The social security card: lifecycle, bank function, PIN, the key hierarchy and the electronic card."""
