# The two commands of the README. Both set up the Python 3.12 environment on first use.
.PHONY: eval test setup
eval:  ## evaluate the embedded default suite (smoke) with the scripted and random policies
	bash scripts/run.sh eval
test:  ## run the test suite (unit tests and real Isaac Lab integration tests)
	bash scripts/run.sh test
setup:
	bash scripts/run.sh setup
