"""Use cases that span contexts (the electronic archive, later retirement and transfers)."""
