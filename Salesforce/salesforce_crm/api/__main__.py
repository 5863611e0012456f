from salesforce_crm.api.main import main

main()
