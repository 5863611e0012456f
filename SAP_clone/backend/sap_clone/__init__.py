"""SAP_clone: an SAP-style ERP backend (plant maintenance, materials, finance)."""
