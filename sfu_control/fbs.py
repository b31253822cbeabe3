"""Access to the generated FlatBuffers bindings (``sfu_control/_fbs``).

The bindings are generated at build time by ``scripts/gen_fbs.sh`` and are not
committed; importing this module without them raises a clear error.
"""

from __future__ import annotations

try:
    from ._fbs.FBS.ActiveSpeakerObserver import (
        ActiveSpeakerObserverOptions as ActiveSpeakerObserverOptionsMod,
    )
    from ._fbs.FBS.AudioLevelObserver import (
        AudioLevelObserverOptions as AudioLevelObserverOptionsMod,
    )
    from ._fbs.FBS.Consumer import ConsumerLayers as ConsumerLayersMod
    from ._fbs.FBS.Consumer import EnableTraceEventRequest as ConsumerTraceReqMod
    from ._fbs.FBS.Consumer import SetPreferredLayersRequest as SetPreferredLayersRequestMod
    from ._fbs.FBS.Consumer import SetPriorityRequest as SetPriorityRequestMod
    from ._fbs.FBS.DataConsumer import SendRequest as DataConsumerSendRequestMod
    from ._fbs.FBS.DataConsumer import (
        SetBufferedAmountLowThresholdRequest as SetBufferedAmountLowThresholdRequestMod,
    )
    from ._fbs.FBS.DataConsumer import SetSubchannelsRequest as SetSubchannelsRequestMod
    from ._fbs.FBS.DataProducer import SendNotification as DataProducerSendNotificationMod
    from ._fbs.FBS.DataProducer import Type as DataProducerTypeMod
    from ._fbs.FBS.DirectTransport import DirectTransportOptions as DirectTransportOptionsMod
    from ._fbs.FBS.Message import Body as MessageBodyMod
    from ._fbs.FBS.Message import Message as MessageMod
    from ._fbs.FBS.Notification import Body as NotificationBodyMod
    from ._fbs.FBS.Notification import Event as EventMod
    from ._fbs.FBS.Notification import Notification as NotificationMod
    from ._fbs.FBS.PipeTransport import ConnectRequest as PipeConnectRequestMod
    from ._fbs.FBS.PipeTransport import PipeTransportOptions as PipeTransportOptionsMod
    from ._fbs.FBS.PlainTransport import ConnectRequest as PlainConnectRequestMod
    from ._fbs.FBS.PlainTransport import PlainTransportOptions as PlainTransportOptionsMod
    from ._fbs.FBS.Producer import EnableTraceEventRequest as ProducerTraceReqMod
    from ._fbs.FBS.Producer import SendNotification as ProducerSendNotificationMod
    from ._fbs.FBS.Request import Body as RequestBodyMod
    from ._fbs.FBS.Request import Method as MethodMod
    from ._fbs.FBS.Request import Request as RequestMod
    from ._fbs.FBS.Router import CloseRtpObserverRequest as CloseRtpObserverRequestMod
    from ._fbs.FBS.Router import CloseTransportRequest as CloseTransportRequestMod
    from ._fbs.FBS.Router import (
        CreateActiveSpeakerObserverRequest as CreateActiveSpeakerObserverRequestMod,
    )
    from ._fbs.FBS.Router import (
        CreateAudioLevelObserverRequest as CreateAudioLevelObserverRequestMod,
    )
    from ._fbs.FBS.Router import CreateDirectTransportRequest as CreateDirectTransportRequestMod
    from ._fbs.FBS.Router import CreatePipeTransportRequest as CreatePipeTransportRequestMod
    from ._fbs.FBS.Router import CreatePlainTransportRequest as CreatePlainTransportRequestMod
    from ._fbs.FBS.Router import CreateWebRtcTransportRequest as CreateWebRtcTransportRequestMod
    from ._fbs.FBS.RtpObserver import AddProducerRequest as AddProducerRequestMod
    from ._fbs.FBS.RtpObserver import RemoveProducerRequest as RemoveProducerRequestMod
    from ._fbs.FBS.RtpParameters import Boolean as BooleanMod
    from ._fbs.FBS.RtpParameters import CodecMapping as CodecMappingMod
    from ._fbs.FBS.RtpParameters import Double as DoubleMod
    from ._fbs.FBS.RtpParameters import EncodingMapping as EncodingMappingMod
    from ._fbs.FBS.RtpParameters import Integer32 as Integer32Mod
    from ._fbs.FBS.RtpParameters import Integer32Array as Integer32ArrayMod
    from ._fbs.FBS.RtpParameters import MediaKind as MediaKindMod
    from ._fbs.FBS.RtpParameters import Parameter as ParameterMod
    from ._fbs.FBS.RtpParameters import RtcpFeedback as RtcpFeedbackMod
    from ._fbs.FBS.RtpParameters import RtcpParameters as RtcpParametersMod
    from ._fbs.FBS.RtpParameters import RtpCodecParameters as RtpCodecParametersMod
    from ._fbs.FBS.RtpParameters import RtpEncodingParameters as RtpEncodingParametersMod
    from ._fbs.FBS.RtpParameters import (
        RtpHeaderExtensionParameters as RtpHeaderExtensionParametersMod,
    )
    from ._fbs.FBS.RtpParameters import RtpHeaderExtensionUri as RtpHeaderExtensionUriMod
    from ._fbs.FBS.RtpParameters import RtpMapping as RtpMappingMod
    from ._fbs.FBS.RtpParameters import RtpParameters as RtpParametersMod
    from ._fbs.FBS.RtpParameters import Rtx as RtxMod
    from ._fbs.FBS.RtpParameters import String as StringMod
    from ._fbs.FBS.RtpParameters import Type as RtpTypeMod
    from ._fbs.FBS.RtpParameters import Value as ValueMod
    from ._fbs.FBS.RtpStream import StatsData as StatsDataMod
    from ._fbs.FBS.SctpAssociation import SctpState as SctpStateMod
    from ._fbs.FBS.SctpParameters import NumSctpStreams as NumSctpStreamsMod
    from ._fbs.FBS.SctpParameters import SctpStreamParameters as SctpStreamParametersMod
    from ._fbs.FBS.SrtpParameters import SrtpCryptoSuite as SrtpCryptoSuiteMod
    from ._fbs.FBS.SrtpParameters import SrtpParameters as SrtpParametersMod
    from ._fbs.FBS.Transport import CloseConsumerRequest as CloseConsumerRequestMod
    from ._fbs.FBS.Transport import CloseDataConsumerRequest as CloseDataConsumerRequestMod
    from ._fbs.FBS.Transport import CloseDataProducerRequest as CloseDataProducerRequestMod
    from ._fbs.FBS.Transport import CloseProducerRequest as CloseProducerRequestMod
    from ._fbs.FBS.Transport import ConsumeDataRequest as ConsumeDataRequestMod
    from ._fbs.FBS.Transport import ConsumeRequest as ConsumeRequestMod
    from ._fbs.FBS.Transport import EnableTraceEventRequest as TransportTraceReqMod
    from ._fbs.FBS.Transport import ListenInfo as ListenInfoMod
    from ._fbs.FBS.Transport import Options as TransportOptionsMod
    from ._fbs.FBS.Transport import ProduceDataRequest as ProduceDataRequestMod
    from ._fbs.FBS.Transport import ProduceRequest as ProduceRequestMod
    from ._fbs.FBS.Transport import Protocol as ProtocolMod
    from ._fbs.FBS.Transport import SendRtcpNotification as SendRtcpNotificationMod
    from ._fbs.FBS.Transport import SetMaxIncomingBitrateRequest as SetMaxInMod
    from ._fbs.FBS.Transport import SetMaxOutgoingBitrateRequest as SetMaxOutMod
    from ._fbs.FBS.Transport import SetMinOutgoingBitrateRequest as SetMinOutMod
    from ._fbs.FBS.Transport import SocketFlags as SocketFlagsMod
    from ._fbs.FBS.WebRtcTransport import ConnectRequest as WebRtcConnectRequestMod
    from ._fbs.FBS.WebRtcTransport import DtlsParameters as DtlsParametersMod
    from ._fbs.FBS.WebRtcTransport import DtlsRole as DtlsRoleMod
    from ._fbs.FBS.WebRtcTransport import DtlsState as DtlsStateMod
    from ._fbs.FBS.WebRtcTransport import Fingerprint as FingerprintMod
    from ._fbs.FBS.WebRtcTransport import FingerprintAlgorithm as FingerprintAlgorithmMod
    from ._fbs.FBS.WebRtcTransport import IceRole as IceRoleMod
    from ._fbs.FBS.WebRtcTransport import IceState as IceStateMod
    from ._fbs.FBS.WebRtcTransport import Listen as ListenMod
    from ._fbs.FBS.WebRtcTransport import ListenIndividual as ListenIndividualMod
    from ._fbs.FBS.WebRtcTransport import ListenServer as ListenServerMod
    from ._fbs.FBS.WebRtcTransport import WebRtcTransportOptions as WebRtcTransportOptionsMod
    from ._fbs.FBS.Worker import CloseRouterRequest as CloseRouterRequestMod
    from ._fbs.FBS.Worker import CloseWebRtcServerRequest as CloseWebRtcServerRequestMod
    from ._fbs.FBS.Worker import CreateRouterRequest as CreateRouterRequestMod
    from ._fbs.FBS.Worker import CreateWebRtcServerRequest as CreateWebRtcServerRequestMod
    from ._fbs.FBS.Worker import UpdateSettingsRequest as UpdateSettingsRequestMod
except ImportError as error:  # pragma: no cover - depends on the build step
    raise ImportError(
        "sfu_control FlatBuffers bindings missing: run "
        "`scripts/gen_fbs.sh <mediasoup npm package dir> sfu_control/_fbs` "
        "(needs flatc from Debian's flatbuffers-compiler)"
    ) from error

# Enums.
Method = MethodMod.Method
RequestBody = RequestBodyMod.Body
MessageBody = MessageBodyMod.Body
NotificationBody = NotificationBodyMod.Body
Event = EventMod.Event
MediaKind = MediaKindMod.MediaKind
RtpType = RtpTypeMod.Type
Value = ValueMod.Value
RtpHeaderExtensionUri = RtpHeaderExtensionUriMod.RtpHeaderExtensionUri
Protocol = ProtocolMod.Protocol
SctpState = SctpStateMod.SctpState
SrtpCryptoSuite = SrtpCryptoSuiteMod.SrtpCryptoSuite
StatsData = StatsDataMod.StatsData
DtlsRole = DtlsRoleMod.DtlsRole
DtlsState = DtlsStateMod.DtlsState
IceRole = IceRoleMod.IceRole
IceState = IceStateMod.IceState
FingerprintAlgorithm = FingerprintAlgorithmMod.FingerprintAlgorithm
Listen = ListenMod.Listen
DataProducerType = DataProducerTypeMod.Type

# Messages.
Message = MessageMod.Message
MessageT = MessageMod.MessageT
RequestT = RequestMod.RequestT
NotificationT = NotificationMod.NotificationT

# Object-API request / parameter tables.
UpdateSettingsRequestT = UpdateSettingsRequestMod.UpdateSettingsRequestT
CreateWebRtcServerRequestT = CreateWebRtcServerRequestMod.CreateWebRtcServerRequestT
CloseWebRtcServerRequestT = CloseWebRtcServerRequestMod.CloseWebRtcServerRequestT
CreateRouterRequestT = CreateRouterRequestMod.CreateRouterRequestT
CloseRouterRequestT = CloseRouterRequestMod.CloseRouterRequestT
CreateWebRtcTransportRequestT = CreateWebRtcTransportRequestMod.CreateWebRtcTransportRequestT
CreatePlainTransportRequestT = CreatePlainTransportRequestMod.CreatePlainTransportRequestT
CreatePipeTransportRequestT = CreatePipeTransportRequestMod.CreatePipeTransportRequestT
CreateDirectTransportRequestT = CreateDirectTransportRequestMod.CreateDirectTransportRequestT
CreateActiveSpeakerObserverRequestT = (
    CreateActiveSpeakerObserverRequestMod.CreateActiveSpeakerObserverRequestT
)
CreateAudioLevelObserverRequestT = (
    CreateAudioLevelObserverRequestMod.CreateAudioLevelObserverRequestT
)
ActiveSpeakerObserverOptionsT = ActiveSpeakerObserverOptionsMod.ActiveSpeakerObserverOptionsT
AudioLevelObserverOptionsT = AudioLevelObserverOptionsMod.AudioLevelObserverOptionsT
CloseTransportRequestT = CloseTransportRequestMod.CloseTransportRequestT
CloseRtpObserverRequestT = CloseRtpObserverRequestMod.CloseRtpObserverRequestT
TransportOptionsT = TransportOptionsMod.OptionsT
ListenInfoT = ListenInfoMod.ListenInfoT
SocketFlagsT = SocketFlagsMod.SocketFlagsT
NumSctpStreamsT = NumSctpStreamsMod.NumSctpStreamsT
WebRtcTransportOptionsT = WebRtcTransportOptionsMod.WebRtcTransportOptionsT
ListenIndividualT = ListenIndividualMod.ListenIndividualT
ListenServerT = ListenServerMod.ListenServerT
PlainTransportOptionsT = PlainTransportOptionsMod.PlainTransportOptionsT
PipeTransportOptionsT = PipeTransportOptionsMod.PipeTransportOptionsT
DirectTransportOptionsT = DirectTransportOptionsMod.DirectTransportOptionsT
WebRtcConnectRequestT = WebRtcConnectRequestMod.ConnectRequestT
PlainConnectRequestT = PlainConnectRequestMod.ConnectRequestT
PipeConnectRequestT = PipeConnectRequestMod.ConnectRequestT
DtlsParametersT = DtlsParametersMod.DtlsParametersT
FingerprintT = FingerprintMod.FingerprintT
SrtpParametersT = SrtpParametersMod.SrtpParametersT
SctpStreamParametersT = SctpStreamParametersMod.SctpStreamParametersT
SetMaxIncomingBitrateRequestT = SetMaxInMod.SetMaxIncomingBitrateRequestT
SetMaxOutgoingBitrateRequestT = SetMaxOutMod.SetMaxOutgoingBitrateRequestT
SetMinOutgoingBitrateRequestT = SetMinOutMod.SetMinOutgoingBitrateRequestT
ProduceRequestT = ProduceRequestMod.ProduceRequestT
ConsumeRequestT = ConsumeRequestMod.ConsumeRequestT
ProduceDataRequestT = ProduceDataRequestMod.ProduceDataRequestT
ConsumeDataRequestT = ConsumeDataRequestMod.ConsumeDataRequestT
CloseProducerRequestT = CloseProducerRequestMod.CloseProducerRequestT
CloseConsumerRequestT = CloseConsumerRequestMod.CloseConsumerRequestT
CloseDataProducerRequestT = CloseDataProducerRequestMod.CloseDataProducerRequestT
CloseDataConsumerRequestT = CloseDataConsumerRequestMod.CloseDataConsumerRequestT
ConsumerLayersT = ConsumerLayersMod.ConsumerLayersT
SetPreferredLayersRequestT = SetPreferredLayersRequestMod.SetPreferredLayersRequestT
SetPriorityRequestT = SetPriorityRequestMod.SetPriorityRequestT
AddProducerRequestT = AddProducerRequestMod.AddProducerRequestT
RemoveProducerRequestT = RemoveProducerRequestMod.RemoveProducerRequestT
ProducerSendNotificationT = ProducerSendNotificationMod.SendNotificationT
ProducerEnableTraceEventRequestT = ProducerTraceReqMod.EnableTraceEventRequestT
ConsumerEnableTraceEventRequestT = ConsumerTraceReqMod.EnableTraceEventRequestT
TransportEnableTraceEventRequestT = TransportTraceReqMod.EnableTraceEventRequestT
SendRtcpNotificationT = SendRtcpNotificationMod.SendRtcpNotificationT
DataConsumerSendRequestT = DataConsumerSendRequestMod.SendRequestT
DataProducerSendNotificationT = DataProducerSendNotificationMod.SendNotificationT
SetBufferedAmountLowThresholdRequestT = (
    SetBufferedAmountLowThresholdRequestMod.SetBufferedAmountLowThresholdRequestT
)
SetSubchannelsRequestT = SetSubchannelsRequestMod.SetSubchannelsRequestT
RtpParametersT = RtpParametersMod.RtpParametersT
RtpCodecParametersT = RtpCodecParametersMod.RtpCodecParametersT
RtpHeaderExtensionParametersT = RtpHeaderExtensionParametersMod.RtpHeaderExtensionParametersT
RtpEncodingParametersT = RtpEncodingParametersMod.RtpEncodingParametersT
RtcpParametersT = RtcpParametersMod.RtcpParametersT
RtcpFeedbackT = RtcpFeedbackMod.RtcpFeedbackT
RtxT = RtxMod.RtxT
ParameterT = ParameterMod.ParameterT
BooleanT = BooleanMod.BooleanT
Integer32T = Integer32Mod.Integer32T
Integer32ArrayT = Integer32ArrayMod.Integer32ArrayT
DoubleT = DoubleMod.DoubleT
StringT = StringMod.StringT
RtpMappingT = RtpMappingMod.RtpMappingT
CodecMappingT = CodecMappingMod.CodecMappingT
EncodingMappingT = EncodingMappingMod.EncodingMappingT


def enum_names(enum_cls: type) -> dict[int, str]:
    """``{value: NAME}`` of a generated enum class."""
    return {v: k for k, v in vars(enum_cls).items() if not k.startswith("_") and isinstance(v, int)}


METHOD_NAMES = enum_names(Method)
EVENT_NAMES = enum_names(Event)
