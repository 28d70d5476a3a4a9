"""The submodels of one month, in the order the model's step calls them."""
