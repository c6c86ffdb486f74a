"""The data subject's rights: subject-access export and deletion of a case or record."""
