"""Export of Pleo expenses to Visma.net: planning (pure), preflight (pure), posting and reporting."""
