"""Letters to the applicant: decisions and notices in writing, rendered to PDF, kept as sent.

Public Administration Act § 27: a decision is notified to the parties in writing, stating the
right to appeal, the deadline, the appeal body, how to appeal and the right to see the case
documents. Each letter is Norwegian bokmål (the binding text) with the applicant's language
beside it, rendered once to a PDF that is stored outside the web root and never changed:
a correction is a new letter that points at the one it corrects.
"""
