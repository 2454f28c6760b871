"""The AMI side: listening to Asterisk's manager events and turning answers into work orders."""
