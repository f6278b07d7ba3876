"""crmcli — a terminal CRM that turns customer-management policy into daily duties."""

__version__ = "0.1.0"
