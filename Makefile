# Shortcuts for tasks.py, which needs nothing but Python.
.PHONY: lab test notebooks bench setup
lab:
	python3 tasks.py lab
test:
	python3 tasks.py test
notebooks:
	python3 tasks.py notebooks
bench:
	python3 tasks.py bench
setup:
	python3 tasks.py setup
