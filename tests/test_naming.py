"""lamina.naming: Keras's object names (snake case, numbered per session)."""
from lamina import layers, naming


def test_snake_case_follows_keras():
    assert naming.snake_case("Dense") == "dense"
    assert naming.snake_case("MyOPT") == "my_opt"
    assert naming.snake_case("Conv2DTranspose") == "conv2d_transpose"


def test_names_are_numbered_per_session():
    naming.clear_session()
    assert [naming.unique_name("thing") for _ in range(3)] == ["thing", "thing_1", "thing_2"]
    assert [layers.Dense(1).name, layers.Dense(1).name] == ["dense", "dense_1"]
    layers.clear_session()
    assert layers.Dense(1).name == "dense"
