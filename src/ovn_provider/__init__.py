"""ovn-provider: OpenStack Networking API v2.0 and Identity API on top of OVN."""

__version__ = "0.1.0"
