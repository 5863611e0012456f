from integration_platform.api.main import main

main()
