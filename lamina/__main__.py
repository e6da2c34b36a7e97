"""Command line: ``python -m lamina demo`` trains the course's MNIST classifier."""
import argparse
import sys

from lamina.demo import mnist_demo


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m lamina")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="train the MNIST classifier end to end")
    demo.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args(argv)
    if args.command == "demo":
        accuracy = mnist_demo(epochs=args.epochs)
        return 0 if accuracy >= 0.975 or args.epochs < 5 else 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
