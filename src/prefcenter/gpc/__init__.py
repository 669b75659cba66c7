"""Global Privacy Control: ``Sec-GPC: 1`` on a customer's widget write opts honour_gpc topics out."""
