import pytest

@pytest.fixture(autouse=True, scope='session')
def one_torch_thread_per_worker():
    "The tests train tiny models on 2 cores with 2 xdist workers: one torch thread each beats two fighting."
    import torch
    torch.set_num_threads(1)
