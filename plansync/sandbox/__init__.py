"""Local emulators of the Jira and Salesforce REST endpoints plansync uses, served on loopback."""
