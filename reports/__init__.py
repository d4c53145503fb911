"""Reports people read: the council's Excel report and the static dashboard. No prefect here."""
