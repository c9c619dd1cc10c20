"""`ovn-provider setup`: PKI, TLS on the OVN databases and the APIs, services (docs/setup.md)."""
