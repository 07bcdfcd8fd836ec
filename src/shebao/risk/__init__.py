"""Risk control (基金监督): the rule catalogue, rules run inside use cases and over the whole fund, cases worked to
recovery, the cockpit's figures and the fund projection (issue #15)."""
