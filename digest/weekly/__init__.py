"""The weekly digest: its pure core (`issue`), the job that builds, stores and mails it (`store`), the mailer."""
