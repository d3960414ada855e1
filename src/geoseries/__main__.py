from geoseries.cli.main import main

main()
