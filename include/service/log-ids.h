/* log-ids.h — the fixed MESSAGE_ID of each key event, so that administrators
 * can find them with `journalctl MESSAGE_ID=…`. systemd/chorusd.catalog
 * explains each one; keep the two in step. Generated with `systemd-id128 new`. */
#pragma once

#define MESSAGE_ID_BILAN_CLAIMED       "fe08831dac414613bc135169b8599a84"
#define MESSAGE_ID_BILAN_REJECTED      "b1c24c96bd194bfdabc0a0dd3919658e"
#define MESSAGE_ID_NUMBER_ALLOCATED    "82b951b3afee4527852ec726234f5ba4"
#define MESSAGE_ID_INVOICE_RENDERED    "f25daafee17a41a68932d26fbc0cd97e"
#define MESSAGE_ID_INVOICE_DEPOSITED   "4ce15581b9844e2cacb236232ea033d9"
#define MESSAGE_ID_INVOICE_INTEGRATED  "07b626d6a5bf473cb4a61de3e823a00d"
#define MESSAGE_ID_CHORUS_REJECTED     "2e534b7ff4c44cf281a44439529b188b"
#define MESSAGE_ID_RETRIES_EXHAUSTED   "1666fd617a42442e871ce834c020b3cb"
#define MESSAGE_ID_RECOVERY_DONE       "39836bee638f4d149bbe9f35f69c3995"
#define MESSAGE_ID_CONFIG_RELOADED     "24d90d3a9a4340979dc461e02e302af5"
#define MESSAGE_ID_INVOICE_STATUS      "b9d3076c121a489b8d6b4c89104a93ba"
#define MESSAGE_ID_INVOICE_PAID        "61fb096c96d34a2190c8f0f7f787d9aa"
