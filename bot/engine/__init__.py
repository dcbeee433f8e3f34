"""Pure reconcile: diff a blueprint against live state into a plan, then apply it through a port."""
