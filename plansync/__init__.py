"""plansync: sync meeting notes to Jira and Salesforce."""

__version__ = "0.1.0"
