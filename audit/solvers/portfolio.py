"""SMT solver for halmos (`--solver-command`): bitwuzla and cvc5 race on one SMT-LIB file; the first definite answer
(sat with its model, or unsat) wins and the other is killed.

Why: the pool maths goes through solady's fullMulDiv, whose 256-bit division and 512-bit remainder terms yices (halmos'
default) does not settle within a minute. Measured on this project's queries: bitwuzla settles some in < 1 s,
cvc5 with bit-vectors solved as integers settles others in < 1 s, each times out on the rest. Both come from PyPI
wheels (audit/config/requirements-audit.txt): no solver binary is downloaded.
Usage: python portfolio.py FILE.smt2   (prints what a solver binary would: sat/unsat/unknown, then the model)
       python portfolio.py --one bitwuzla|cvc5 FILE.smt2   (one solver, in this process)
"""
import os
import selectors
import subprocess
import sys


def run_bitwuzla(path: str) -> None:
    import bitwuzla

    opts = bitwuzla.Options()
    opts.set(bitwuzla.Option.PRODUCE_MODELS, True)
    bitwuzla.Parser(bitwuzla.TermManager(), opts).parse(path)  # prints check-sat / get-model answers


def run_cvc5(path: str) -> None:
    import cvc5

    tm = cvc5.TermManager()
    solver = cvc5.Solver(tm)
    # halmos' "cvc5-int" settings: bit-vector arithmetic translated to integers.
    solver.setOption("produce-models", "true")
    solver.setOption("solve-bv-as-int", "iand")
    solver.setOption("iand-mode", "bitwise")
    symbols = cvc5.SymbolManager(tm)
    parser = cvc5.InputParser(solver, symbols)
    parser.setFileInput(cvc5.InputLanguage.SMT_LIB_2_6, path)
    last = None
    while True:
        cmd = parser.nextCommand()
        if cmd.isNull():
            break
        name = cmd.getCommandName()
        if name == "get-model" and last != "sat":
            continue  # halmos asks for a model after every check-sat; only a sat answer has one
        out = cmd.invoke(solver, symbols)
        if name == "check-sat":
            last = out.strip()
        if out:
            sys.stdout.write(out if out.endswith("\n") else out + "\n")
            sys.stdout.flush()


def race(path: str) -> str:
    me = os.path.abspath(__file__)
    procs = [
        subprocess.Popen([sys.executable, me, "--one", name, path], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for name in ("bitwuzla", "cvc5")
    ]
    sel = selectors.DefaultSelector()
    for p in procs:
        sel.register(p.stdout, selectors.EVENT_READ, p)
    answer, live = None, len(procs)
    try:
        while live and answer is None:
            for key, _ in sel.select():
                out = key.data.stdout.read()  # a solver writes its whole answer, then exits
                sel.unregister(key.fileobj)
                live -= 1
                if out.split("\n", 1)[0].strip() in ("sat", "unsat"):
                    answer = out
                    break
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait()
    return answer if answer is not None else "unknown\n"


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--one":
        {"bitwuzla": run_bitwuzla, "cvc5": run_cvc5}[sys.argv[2]](sys.argv[3])
    elif len(sys.argv) >= 2:
        sys.stdout.write(race(sys.argv[-1]))
    else:
        sys.exit(__doc__)
