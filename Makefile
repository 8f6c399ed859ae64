# The two commands of the README. Both set up the Python 3.12 environment on first use.
.PHONY: eval test setup
SUITE ?= smoke
eval:  ## evaluate a suite (default: smoke; e.g. make eval SUITE=g1) with its shipped, scripted, random and blind policies
	SUITE=$(SUITE) bash scripts/run.sh eval
test:  ## run the test suite (unit tests and real Isaac Lab integration tests)
	bash scripts/run.sh test
setup:
	bash scripts/run.sh setup
