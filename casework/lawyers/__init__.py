"""The people beside the applicant: lawyers (fritt rettsråd), their duty lists and
appointments on cases, and the representatives (verge) of unaccompanied minors."""
