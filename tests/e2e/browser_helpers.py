"""Helpers of the browser tests: screenshots, free ports, servers that are always killed."""
import os, signal, socket, subprocess, sys, time
from pathlib import Path

ARTIFACTS = Path(__file__).parent/'artifacts'   # git-ignored: made on first use, also on a fresh clone
ARTIFACTS.mkdir(exist_ok=True)

def screenshot(page, name):
    page.screenshot(path=str(ARTIFACTS/name), full_page=True)

def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

class Server:
    "A server process in its own process group, killed (group-wide, by its id) on exit."
    def __init__(self, args, cwd, env=None):
        self.log = open(Path(cwd)/'server.log', 'w+')
        self.proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
    def __enter__(self): return self
    def __exit__(self, *exc):
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            if self.proc.poll() is not None: break
            try: os.killpg(self.proc.pid, sig)
            except ProcessLookupError: break
            try: self.proc.wait(wait)
            except subprocess.TimeoutExpired: pass
        self.log.close()
    def output(self) -> str:
        self.log.flush(); self.log.seek(0); return self.log.read()[-3000:]

def wait_port(port, proc, timeout=60):
    "Wait until something listens on 127.0.0.1:`port` (or the server died / the time is up)."
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None: raise RuntimeError(f"server exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(('127.0.0.1', port)) == 0: return
        time.sleep(0.3)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")

def voila(tmp_path, name:str, cells) -> tuple:
    """`(Server, port)`: Voila serving a notebook `name` of code `cells`, written into `tmp_path`, on a free local port.
    Use as `server, port = voila(...)`, then `with server: wait_port(port, server.proc); ...`."""
    import nbformat
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata['kernelspec'] = dict(name='python3', display_name='Python 3', language='python')
    nbformat.write(nb, tmp_path/name)
    port = free_port()
    return Server([sys.executable, '-m', 'voila', name, '--no-browser', f'--port={port}', '--Voila.ip=127.0.0.1'], cwd=tmp_path), port
