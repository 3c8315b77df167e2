"""The Errors page (pages/2_Errors.py): cached evaluations, the clickable confusion matrix, galleries, the sample dialog."""
