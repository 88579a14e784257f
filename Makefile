.PHONY: run test
# The two commands of the README. Everything else is in scripts/.
run:
	bash scripts/run.sh

test:
	bash scripts/test.sh
