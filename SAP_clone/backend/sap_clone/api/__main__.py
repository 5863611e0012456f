from sap_clone.api.main import main

main()
