"""Former home of the assets, now in the domain folders (sources/, features/, model/, outputs/, evaluation/)."""
