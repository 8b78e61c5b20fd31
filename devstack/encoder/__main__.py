from devstack.encoder.cli import main

main()
