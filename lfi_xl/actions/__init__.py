"""What users do: validate, freeze, extract, refresh, adopt, recalc, plan."""
