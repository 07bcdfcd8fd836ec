"""Coverage expansion (全民参保登记): other departments' registries imported, compared with ours, worked as cases."""
