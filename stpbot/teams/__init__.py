"""The Microsoft Teams frontend, on Microsoft's Teams SDK (`microsoft-teams-apps`)."""
