"""Attribution: which organisations an item is about, their countries, and what kind of release."""
