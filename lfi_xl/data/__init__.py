"""The shipped figures: the published plan table and the illustrative data."""
