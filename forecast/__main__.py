from forecast.cli.main import main

main()
