# Shortcuts for tasks.py, which needs nothing but Python.
.PHONY: lab test doctor notebooks bench dist setup
lab:
	python3 tasks.py lab
test:
	python3 tasks.py test
doctor:
	python3 tasks.py doctor
notebooks:
	python3 tasks.py notebooks
bench:
	python3 tasks.py bench
dist:
	python3 tasks.py dist
setup:
	python3 tasks.py setup
