from servicenow.api.main import main

main()
